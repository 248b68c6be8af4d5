//! Table definitions, written by hand with types both backends share (see DESIGN.md).

diesel::table! {
    networks (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        country -> Text,
        network_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organisation_domains (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        slug -> Text,
        name -> Text,
        kg_co2e_per_item -> Nullable<Double>,
        kg_co2e_per_kg -> Nullable<Double>,
        typical_weight_kg -> Nullable<Double>,
        default_new_price_sek -> Nullable<Double>,
        new_price_is_estimate -> Bool,
        factor_source -> Text,
        factor_notes -> Text,
        factor_version -> Text,
        factor_is_estimate -> Bool,
        sort_order -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(organisations -> networks (network_id));
diesel::joinable!(organisation_domains -> organisations (organisation_id));
diesel::joinable!(units -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    networks,
    organisations,
    organisation_domains,
    units,
    categories,
);
