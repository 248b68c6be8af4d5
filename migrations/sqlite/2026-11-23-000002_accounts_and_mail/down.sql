DROP TABLE mail_outbox;
DROP TABLE sessions;
DROP TABLE login_links;
DROP TABLE users;
