DROP TABLE related_ready;
