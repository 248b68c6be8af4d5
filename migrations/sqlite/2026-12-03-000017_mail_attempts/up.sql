-- When a delivery attempt began. Written before the mail goes to the SMTP server and
-- cleared when the server refused it, so an attempt whose outcome was never recorded (a
-- crash, the database gone mid-delivery) is recognised and not repeated.
ALTER TABLE mail_outbox ADD COLUMN attempted_at TIMESTAMP;
