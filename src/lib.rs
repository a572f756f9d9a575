//! newsdesk: a headless news content API over SQLite or PostgreSQL.
//!
//! Layers: `config` → `db` (the only diesel) → `service` (rules) → `rest` and `graphql`
//! (thin handlers and resolvers).

pub mod cli;
pub mod client;
pub mod config;
pub mod conventions;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod limits;
pub mod model;
pub mod rest;
pub mod rfc3339;
pub mod seed;
pub mod service;
pub mod startup;
pub mod telemetry;
