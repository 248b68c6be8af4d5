DROP TABLE factor_imports;
ALTER TABLE reuse_records DROP COLUMN co2e_grams_high;
ALTER TABLE reuse_records DROP COLUMN factor_kg_co2e_high;
ALTER TABLE reuse_records DROP COLUMN category_version_id;
ALTER TABLE categories ADD COLUMN kg_co2e_per_item DOUBLE;
ALTER TABLE categories ADD COLUMN kg_co2e_per_kg DOUBLE;
ALTER TABLE categories ADD COLUMN typical_weight_kg DOUBLE;
ALTER TABLE categories ADD COLUMN default_new_price_sek DOUBLE;
ALTER TABLE categories ADD COLUMN new_price_is_estimate BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE categories ADD COLUMN factor_source TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN factor_notes TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN factor_version TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN factor_is_estimate BOOLEAN NOT NULL DEFAULT 0;
-- The earliest national version is what the category held before.
UPDATE categories SET
    kg_co2e_per_item = (SELECT v.factor_central FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL AND v.factor_basis = 'per_item' ORDER BY v.valid_from, v.id LIMIT 1),
    kg_co2e_per_kg = (SELECT v.factor_central FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL AND v.factor_basis = 'per_kg' ORDER BY v.valid_from, v.id LIMIT 1),
    typical_weight_kg = (SELECT v.typical_weight_kg FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL ORDER BY v.valid_from, v.id LIMIT 1),
    default_new_price_sek = (SELECT v.new_price_sek FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL ORDER BY v.valid_from, v.id LIMIT 1),
    factor_source = COALESCE((SELECT v.source FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL ORDER BY v.valid_from, v.id LIMIT 1), ''),
    factor_version = COALESCE((SELECT v.table_version FROM category_versions v WHERE v.category_id = categories.id AND v.organisation_id IS NULL ORDER BY v.valid_from, v.id LIMIT 1), '');
DROP TABLE category_versions;
ALTER TABLE categories DROP COLUMN organisation_id;
