DROP TABLE categories;
DROP TABLE units;
DROP TABLE organisation_domains;
DROP TABLE organisations;
DROP TABLE networks;
