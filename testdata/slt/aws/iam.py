"""Changes a role in the ministack emulator between statements of an .slt file.

    iam.py ENDPOINT create ROLE TRUST_POLICY_JSON
    iam.py ENDPOINT update ROLE TRUST_POLICY_JSON

Run by `system ok` records (crates/engine/tests/slt_aws.rs passes PYTHON, IAM_PY and
ENDPOINT). Uses the emulator's root credentials; botocore comes with ministack.
"""

import sys

import botocore.session


def main() -> None:
    endpoint, action, role, policy = sys.argv[1:5]
    iam = botocore.session.get_session().create_client(
        "iam",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    if action == "create":
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=policy)
    elif action == "update":
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=policy)
    else:
        sys.exit(f"unknown action {action!r}")


if __name__ == "__main__":
    main()
