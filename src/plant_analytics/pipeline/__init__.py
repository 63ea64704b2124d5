"""The ingestion pipeline: upload → object store → queue → worker → database.

``service`` holds the logic; ``api``, ``worker``, ``scheduler``, the CLI and the Airflow DAG
are thin shells around it (docs/pipeline.md).
"""
