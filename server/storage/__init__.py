"""What simrooms keeps: users in the database (``database``)."""
