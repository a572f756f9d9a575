// One portable schema for both backends: only types that SQLite and PostgreSQL share.
// The PostgreSQL-only `articles.search_vector` column and SQLite's `articles_fts` table are
// reached through `db::search`, never through this file.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        slug -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        bio -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        token_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        subtitle -> Nullable<Text>,
        excerpt -> Text,
        excerpt_is_custom -> Bool,
        body -> Text,
        body_html -> Text,
        dateline -> Nullable<Text>,
        image_url -> Nullable<Text>,
        image_alt -> Nullable<Text>,
        image_caption -> Nullable<Text>,
        image_credit -> Nullable<Text>,
        author_id -> BigInt,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reading_time_minutes -> Integer,
        view_count -> BigInt,
        share_count -> BigInt,
        comment_count -> BigInt,
        version -> Integer,
        /// Advances when the article's preview links are revoked.
        preview_generation -> Integer,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> BigInt,
        tag_id -> BigInt,
        position -> Integer,
        /// The article's `published_at` while it is published, else null (kept by triggers).
        live_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Bylines: an article's authors in order (position 0 is `articles.author_id`).
    article_authors (article_id, user_id) {
        article_id -> BigInt,
        user_id -> BigInt,
        position -> Integer,
        /// The article's `published_at` while it is published, else null (kept by triggers).
        live_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Each version of an article (see the migration `revisions`).
    article_revisions (id) {
        id -> BigInt,
        article_id -> BigInt,
        version -> Integer,
        editor_id -> Nullable<BigInt>,
        changed -> Text,
        content -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Slugs articles had before their current ones (see the migration `slug_history`).
    article_slugs (slug) {
        slug -> Text,
        article_id -> BigInt,
        retired_at -> Timestamp,
    }
}

diesel::table! {
    /// What each article's summary shows beside its row (see the migration `article_cards`).
    article_cards (article_id) {
        article_id -> BigInt,
        card -> Text,
        /// The summary as lists show it, without its moving counters; NULL: to be rendered
        /// (see the migration `summaries_ready`).
        summary -> Nullable<Text>,
        /// The article's version it was rendered from.
        summary_version -> Nullable<Integer>,
    }
}

diesel::table! {
    /// Computed related lists kept ready (see the migration `related_ready`).
    related_ready (article_id) {
        article_id -> BigInt,
        related_ids -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    related_articles (article_id, related_id) {
        article_id -> BigInt,
        related_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        article_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        author_name -> Text,
        author_email -> Text,
        body -> Text,
        body_html -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        spam_reason -> Nullable<Text>,
    }
}

diesel::table! {
    article_shares (article_id, network) {
        article_id -> BigInt,
        network -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        token_version -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        role -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        node -> Text,
        dedupe -> Nullable<Text>,
        created_at -> Timestamp,
        dispatched -> Bool,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        description -> Nullable<Text>,
        events -> Text,
        active -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> Nullable<BigInt>,
        message_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(articles -> users (author_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> users (user_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(article_slugs -> articles (article_id));
diesel::joinable!(article_revisions -> users (editor_id));
diesel::joinable!(article_tags -> tags (tag_id));
diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(article_shares -> articles (article_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    articles,
    tags,
    article_tags,
    article_authors,
    article_revisions,
    article_slugs,
    related_articles,
    related_ready,
    article_cards,
    comments,
    article_shares,
    settings,
    refresh_tokens,
    api_tokens,
    outbox,
    webhooks,
    webhook_deliveries,
);
