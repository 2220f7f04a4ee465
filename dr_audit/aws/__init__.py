"""Live evidence: read-only boto3 access and the AWS collectors."""
