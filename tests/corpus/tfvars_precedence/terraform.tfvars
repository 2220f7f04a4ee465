identifier = "tfvars-db"
retention  = 7
