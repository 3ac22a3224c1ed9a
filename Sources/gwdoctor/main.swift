print("gwdoctor")
