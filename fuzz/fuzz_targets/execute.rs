//! Any bytes as a script through the engine's statement entry point, on one in-memory
//! catalog that accumulates state across inputs: no panic, and every statement either
//! succeeds or fails with a well-formed error. AWS calls go to a closed loopback port.
#![no_main]

use std::sync::{Mutex, OnceLock};

use airlock_engine::aws::AwsConfig;
use airlock_engine::{AwsSetup, Engine, EngineConfig, Session};
use libfuzzer_sys::fuzz_target;

fn session() -> &'static Mutex<Session> {
    static SESSION: OnceLock<Mutex<Session>> = OnceLock::new();
    SESSION.get_or_init(|| {
        let aws = AwsConfig::new(airlock_testkit::offline_sdk_config())
            .with_timeout(std::time::Duration::from_millis(200))
            .with_max_attempts(1);
        let config = EngineConfig {
            aws: AwsSetup::Config(Box::new(aws)),
            ..EngineConfig::default()
        };
        Mutex::new(Engine::open(":memory:", config).expect("engine").session())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let mut session = session().lock().unwrap_or_else(|e| e.into_inner());
    for result in session.execute(sql) {
        if let Err(e) = result {
            assert!(!e.message.is_empty());
            assert_eq!(e.code.code().len(), 5);
        }
    }
});
