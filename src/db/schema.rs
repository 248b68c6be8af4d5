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
        displacement_yes -> Double,
        displacement_unsure -> Double,
        displacement_no -> Double,
        refurbishment_kg_co2e -> Double,
        transport_kg_co2e -> Double,
        public_summary -> Bool,
        end_reminder_days -> Integer,
        end_steps -> Text,
        end_step_days -> Integer,
        external_terms -> Text,
    }
}

diesel::table! {
    organisation_domains (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
        verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        created_at -> Timestamp,
        store_address -> Nullable<Text>,
        store_instructions -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        parent_id -> Nullable<BigInt>,
        slug -> Text,
        name -> Text,
        sort_order -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        organisation_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    category_versions (id) {
        id -> BigInt,
        category_id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        valid_from -> Date,
        factor_basis -> Nullable<Text>,
        factor_central -> Nullable<Double>,
        factor_low -> Nullable<Double>,
        factor_high -> Nullable<Double>,
        typical_weight_kg -> Nullable<Double>,
        new_price_sek -> Nullable<Double>,
        new_price_is_estimate -> Bool,
        source -> Text,
        source_url -> Text,
        notes -> Text,
        table_version -> Text,
        is_estimate -> Bool,
        reason -> Text,
        changed_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    network_invitations (id) {
        id -> BigInt,
        network_id -> BigInt,
        organisation_id -> BigInt,
        invited_user_id -> BigInt,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        answer -> Nullable<Text>,
    }
}

diesel::joinable!(organisations -> networks (network_id));
diesel::joinable!(network_invitations -> networks (network_id));
diesel::joinable!(organisation_domains -> organisations (organisation_id));
diesel::joinable!(units -> organisations (organisation_id));
diesel::joinable!(category_versions -> categories (category_id));

diesel::table! {
    factor_imports (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        uploaded_by -> BigInt,
        file_text -> Text,
        valid_from -> Date,
        label -> Text,
        created_at -> Timestamp,
        applied_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        unit_id -> Nullable<BigInt>,
        email -> Text,
        name -> Nullable<Text>,
        role -> Text,
        language -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        notify -> Text,
        notify_token -> Nullable<Text>,
        unread_messages -> Integer,
    }
}

diesel::table! {
    login_links (jti) {
        jti -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        code_digest -> Text,
        code_attempts -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        renew_by -> Nullable<Timestamp>,
    }
}

diesel::table! {
    organisation_directories (organisation_id) {
        organisation_id -> BigInt,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Text,
        tenant_id -> Text,
        links_enabled -> Bool,
        verified_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    directory_groups (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        group_id -> Text,
        role -> Text,
        unit_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(organisation_directories -> organisations (organisation_id));
diesel::joinable!(directory_groups -> organisations (organisation_id));

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Nullable<Text>,
        body_text -> Nullable<Text>,
        body_html -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        language -> Nullable<Text>,
        notice -> Nullable<Text>,
        unsubscribe_token -> Nullable<Text>,
        attempted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    items (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        owner_unit_id -> Nullable<BigInt>,
        created_by -> BigInt,
        category_id -> BigInt,
        title -> Text,
        description -> Text,
        condition -> Text,
        quantity_total -> Integer,
        quantity_available -> Integer,
        width_cm -> Nullable<Integer>,
        depth_cm -> Nullable<Integer>,
        height_cm -> Nullable<Integer>,
        weight_kg -> Nullable<Double>,
        new_price_sek -> Nullable<Double>,
        site -> Text,
        room -> Text,
        pickup_instructions -> Text,
        available_from -> Nullable<Date>,
        expires_on -> Nullable<Date>,
        status -> Text,
        visibility -> Text,
        search_stems -> Text,
        search_weights -> Text,
        search_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cover_photo_key -> Nullable<Text>,
        cover_photo_alt -> Nullable<Text>,
        store_unit_id -> Nullable<BigInt>,
        shelf -> Text,
        end_step -> Integer,
        end_reminded_for -> Nullable<Date>,
        ended_as -> Nullable<Text>,
        offered_outside -> Bool,
    }
}

diesel::table! {
    store_handins (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        item_id -> BigInt,
        store_unit_id -> BigInt,
        requested_by -> BigInt,
        from_unit_id -> Nullable<BigInt>,
        quantity -> Integer,
        handover -> Text,
        message -> Text,
        status -> Text,
        answer -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        received_by -> Nullable<BigInt>,
        received_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    item_photos (id) {
        id -> BigInt,
        item_id -> BigInt,
        position -> Integer,
        photo_key -> Text,
        alt_text -> Text,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::joinable!(items -> organisations (organisation_id));
diesel::joinable!(items -> categories (category_id));
diesel::joinable!(items -> units (owner_unit_id));
diesel::joinable!(item_photos -> items (item_id));
diesel::joinable!(store_handins -> items (item_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(users -> units (unit_id));
diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    reservations (id) {
        id -> BigInt,
        item_id -> BigInt,
        organisation_id -> BigInt,
        requester_id -> BigInt,
        receiving_unit_id -> Nullable<BigInt>,
        quantity -> Integer,
        message -> Text,
        would_buy_new -> Text,
        status -> Text,
        pickup_deadline -> Timestamp,
        reminder_sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<BigInt>,
        released_quantity -> Integer,
        continues_id -> Nullable<BigInt>,
        wanted_deadline -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reuse_records (id) {
        id -> BigInt,
        reservation_id -> Nullable<BigInt>,
        reverses_id -> Nullable<BigInt>,
        item_id -> BigInt,
        item_title -> Text,
        giving_organisation_id -> BigInt,
        receiving_organisation_id -> BigInt,
        from_unit_id -> Nullable<BigInt>,
        from_unit_name -> Text,
        to_unit_id -> Nullable<BigInt>,
        to_unit_name -> Text,
        category_id -> BigInt,
        category_name -> Text,
        quantity -> Integer,
        factor_kind -> Text,
        factor_kg_co2e -> Nullable<Double>,
        factor_source -> Text,
        factor_version -> Text,
        factor_is_estimate -> Bool,
        weight_kg -> Nullable<Double>,
        weight_is_typical -> Bool,
        new_price_sek -> Nullable<Double>,
        new_price_is_estimate -> Bool,
        would_buy_new -> Text,
        displacement -> Double,
        deduction_kg_co2e -> Double,
        co2e_grams -> BigInt,
        money_saved_ore -> BigInt,
        material_grams -> BigInt,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<BigInt>,
        note -> Text,
        category_version_id -> Nullable<BigInt>,
        factor_kg_co2e_high -> Nullable<Double>,
        co2e_grams_high -> Nullable<BigInt>,
        costs_ore -> BigInt,
        deduction_source -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        subject -> Text,
        subject_id -> BigInt,
        action -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> BigInt,
        user_id -> BigInt,
        organisation_id -> BigInt,
        kind -> Text,
        title -> Text,
        description -> Text,
        query -> Text,
        category_id -> Nullable<BigInt>,
        unsubscribe_token -> Text,
        active -> Bool,
        created_at -> Timestamp,
        last_alert_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    search_alerts (saved_search_id, item_id) {
        saved_search_id -> BigInt,
        item_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(reservations -> items (item_id));
diesel::joinable!(reservations -> users (requester_id));
diesel::joinable!(saved_searches -> users (user_id));

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        prefix -> Text,
        secret_sha256 -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        scope -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    available_counts (organisation_id, category_id, visibility) {
        organisation_id -> BigInt,
        category_id -> BigInt,
        visibility -> Text,
        listings -> BigInt,
    }
}

diesel::table! {
    photo_drafts (id) {
        id -> BigInt,
        user_id -> BigInt,
        photo_key -> Text,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    favourites (user_id, item_id) {
        user_id -> BigInt,
        item_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(favourites -> items (item_id));

diesel::table! {
    digest_entries (id) {
        id -> BigInt,
        user_id -> BigInt,
        notice -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    conversations (id) {
        id -> BigInt,
        item_id -> BigInt,
        asker_id -> BigInt,
        asker_organisation_id -> BigInt,
        created_at -> Timestamp,
        last_message_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    conversation_members (conversation_id, user_id) {
        conversation_id -> BigInt,
        user_id -> BigInt,
        unread -> Integer,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    queue_entries (id) {
        id -> BigInt,
        item_id -> BigInt,
        organisation_id -> BigInt,
        requester_id -> BigInt,
        receiving_unit_id -> Nullable<BigInt>,
        quantity -> Integer,
        would_buy_new -> Text,
        status -> Text,
        offered_quantity -> Integer,
        offer_expires_at -> Nullable<Timestamp>,
        reservation_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        tat_ms -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(conversations -> items (item_id));
diesel::joinable!(conversations -> users (asker_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(conversation_members -> conversations (conversation_id));
diesel::joinable!(queue_entries -> items (item_id));

diesel::table! {
    external_recipients (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        name -> Text,
        kind -> Text,
        contact_email -> Text,
        token_hash -> Text,
        status -> Text,
        terms_accepted_at -> Nullable<Timestamp>,
        accepted_by_name -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    external_claims (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        item_id -> BigInt,
        recipient_id -> BigInt,
        quantity -> Integer,
        message -> Text,
        status -> Text,
        item_title -> Text,
        category_id -> BigInt,
        weight_kg -> Nullable<Double>,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(external_claims -> external_recipients (recipient_id));
diesel::joinable!(external_claims -> items (item_id));

diesel::table! {
    repairs (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        item_id -> BigInt,
        workshop_unit_id -> Nullable<BigInt>,
        supplier -> Text,
        problem -> Text,
        estimate_ore -> Nullable<BigInt>,
        status -> Text,
        hours -> Nullable<Double>,
        materials -> Text,
        cost_ore -> Nullable<BigInt>,
        kg_co2e -> Nullable<Double>,
        result -> Text,
        units_at_repair -> Integer,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_by -> Nullable<BigInt>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    delivery_runs (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        store_unit_id -> BigInt,
        run_on -> Date,
        status -> Text,
        distance_km -> Nullable<Double>,
        vehicle -> Nullable<Text>,
        note -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        reservation_id -> BigInt,
        store_unit_id -> BigInt,
        wished_on -> Date,
        building -> Text,
        room -> Text,
        run_id -> Nullable<BigInt>,
        status -> Text,
        received_by -> Text,
        delivered_by -> Nullable<BigInt>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(repairs -> items (item_id));
diesel::joinable!(deliveries -> reservations (reservation_id));
diesel::joinable!(deliveries -> delivery_runs (run_id));

diesel::allow_tables_to_appear_in_same_query!(
    external_recipients,
    external_claims,
    repairs,
    delivery_runs,
    deliveries,
    store_handins,
    directory_groups,
    organisation_directories,
    networks,
    network_invitations,
    organisations,
    organisation_domains,
    units,
    categories,
    category_versions,
    factor_imports,
    users,
    login_links,
    sessions,
    mail_outbox,
    items,
    item_photos,
    reservations,
    reuse_records,
    audit_log,
    saved_searches,
    search_alerts,
    api_tokens,
    available_counts,
    photo_drafts,
    favourites,
    digest_entries,
    conversations,
    messages,
    conversation_members,
    queue_entries,
    rate_limits,
    idempotency_keys,
    ledger_chain,
    ledger_heads,
    ledger_seal_backlog,
    ledger_checks,
    ledger_months,
    reuse_checks,
    purchases,
);

diesel::table! {
    listing_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    ledger_chain (record_id) {
        record_id -> BigInt,
        organisation_id -> BigInt,
        seq -> BigInt,
        hash -> Text,
        sealed_at -> Timestamp,
    }
}

diesel::table! {
    ledger_heads (organisation_id) {
        organisation_id -> BigInt,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    ledger_seal_backlog (record_id) {
        record_id -> BigInt,
    }
}

diesel::table! {
    ledger_checks (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        checked_at -> Timestamp,
        links -> BigInt,
        head_seq -> BigInt,
        head_hash -> Text,
        broken_seq -> Nullable<BigInt>,
        broken_record_id -> Nullable<BigInt>,
        problem -> Nullable<Text>,
    }
}

diesel::joinable!(ledger_chain -> reuse_records (record_id));

diesel::table! {
    reuse_checks (id) {
        id -> BigInt,
        receipt_id -> Text,
        organisation_id -> BigInt,
        user_id -> BigInt,
        checked_at -> Timestamp,
        category_slug -> Text,
        query -> Text,
        match_count -> BigInt,
        matches -> Text,
        signature -> Text,
    }
}

diesel::table! {
    purchases (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        user_id -> BigInt,
        category_id -> BigInt,
        category_name -> Text,
        quantity -> Integer,
        amount_ore -> BigInt,
        purchased_on -> Date,
        reference -> Text,
        reuse_check_id -> Nullable<BigInt>,
        available_listings -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(purchases -> reuse_checks (reuse_check_id));

diesel::table! {
    ledger_months (receiving_organisation_id, month, giving_organisation_id, category_id, category_name, from_unit_id, from_unit_name, to_unit_id, to_unit_name) {
        receiving_organisation_id -> BigInt,
        month -> Text,
        giving_organisation_id -> BigInt,
        category_id -> BigInt,
        category_name -> Text,
        from_unit_id -> BigInt,
        from_unit_name -> Text,
        to_unit_id -> BigInt,
        to_unit_name -> Text,
        records -> BigInt,
        reversals -> BigInt,
        items -> BigInt,
        co2e_grams -> BigInt,
        co2e_grams_high -> BigInt,
        money_ore -> BigInt,
        material_grams -> BigInt,
    }
}
