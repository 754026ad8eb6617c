"""One replication script per finding of the report (installed as ``welfare.replication``)."""
