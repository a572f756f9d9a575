//! One integration binary: the real server over HTTP, every test on SQLite and on PostgreSQL.

mod helpers;

mod abuse;
mod articles;
mod auth;
mod comments;
mod contract;
mod editorial;
mod events;
mod feeds;
mod graphql;
mod hostile_input;
mod http;
mod lists;
mod nodes;
mod races;
mod related;
mod resilience;
mod search;
mod tags;
mod tokens;
mod users;
mod webhooks;
