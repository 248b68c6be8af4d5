-- Rate limits every instance shares: per bucket ("login-address:…", "login-ip:…",
-- "api-user:…") the theoretical arrival time of the next request (GCRA), in milliseconds
-- since 1970. A bucket whose time has passed is as good as absent and is cleared.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat_ms);
