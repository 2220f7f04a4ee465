retention = 10
multi_az  = true
