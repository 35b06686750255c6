//! Airlock's catalog relations as DataFusion tables: each scan reads the relation's
//! current rows through Airlock (a typed catalog query, so no secret value can be among
//! them) and hands them to DataFusion, which then joins, filters and aggregates them with
//! its own semantics — beside the host's tables.

use std::sync::Arc;

use airlock_core::{ColumnType, Rows};
use airlock_engine::Engine;
use airlock_engine::catalog::Relation;
use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

/// One catalog relation, read live at every scan.
#[derive(Debug)]
pub(crate) struct CatalogTable {
    engine: Engine,
    relation: &'static Relation,
    schema: SchemaRef,
}

impl CatalogTable {
    pub(crate) fn new(engine: Engine, relation: &'static Relation) -> CatalogTable {
        let fields: Vec<Field> = relation
            .columns
            .iter()
            .map(|(name, ty)| Field::new(*name, arrow_type(*ty), true))
            .collect();
        CatalogTable {
            engine,
            relation,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    fn rows(&self) -> Result<Rows> {
        let sql = format!(
            "SELECT * FROM {}.{}",
            self.relation.schema, self.relation.name
        );
        let mut session = self.engine.session();
        let result = session
            .execute(&sql)
            .pop()
            .ok_or_else(|| DataFusionError::Internal("no result".to_owned()))?
            .map_err(|d| DataFusionError::External(Box::new(d)))?;
        result
            .rows()
            .cloned()
            .ok_or_else(|| DataFusionError::Internal("a catalog query returned no rows".to_owned()))
    }
}

/// The Arrow type a column of PostgreSQL type `ty` is read as. Timestamps and JSON stay
/// in their PostgreSQL text form.
fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Int4 => DataType::Int32,
        ColumnType::Int8 | ColumnType::Oid => DataType::Int64,
        ColumnType::Float8 => DataType::Float64,
        ColumnType::Text | ColumnType::Numeric | ColumnType::TimestampTz | ColumnType::Jsonb => {
            DataType::Utf8
        }
    }
}

/// Rows of PostgreSQL text values as one Arrow batch of `schema`.
fn batch(schema: &SchemaRef, rows: &Rows) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(k, field)| -> Result<ArrayRef> {
            let values = rows.rows.iter().map(|row| row.get(k).cloned().flatten());
            let parse_error = |v: &str| {
                DataFusionError::Internal(format!(
                    "catalog column {} has the value {v:?}",
                    field.name()
                ))
            };
            Ok(match field.data_type() {
                DataType::Boolean => Arc::new(
                    values
                        .map(|v| v.map(|v| v == "t"))
                        .collect::<BooleanArray>(),
                ),
                DataType::Int32 => Arc::new(
                    values
                        .map(|v| {
                            v.map(|v| v.parse::<i32>().map_err(|_| parse_error(&v)))
                                .transpose()
                        })
                        .collect::<Result<Int32Array>>()?,
                ),
                DataType::Int64 => Arc::new(
                    values
                        .map(|v| {
                            v.map(|v| v.parse::<i64>().map_err(|_| parse_error(&v)))
                                .transpose()
                        })
                        .collect::<Result<Int64Array>>()?,
                ),
                DataType::Float64 => Arc::new(
                    values
                        .map(|v| {
                            v.map(|v| v.parse::<f64>().map_err(|_| parse_error(&v)))
                                .transpose()
                        })
                        .collect::<Result<Float64Array>>()?,
                ),
                _ => Arc::new(values.collect::<StringArray>()),
            })
        })
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[async_trait]
impl TableProvider for CatalogTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // The catalog is read on the blocking pool: it is SQLite work.
        let table = CatalogTable {
            engine: self.engine.clone(),
            relation: self.relation,
            schema: Arc::clone(&self.schema),
        };
        let rows = tokio::task::spawn_blocking(move || table.rows())
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
        let batch = batch(&self.schema, &rows)?;
        let memory = MemTable::try_new(Arc::clone(&self.schema), vec![vec![batch]])?;
        memory.scan(state, projection, filters, limit).await
    }
}
