//! The command line: `serve [--demo]`, `migrate`, `users create|list|set-password`, `seed`,
//! `schema`. `--help` lists the environment variables too.

use std::io::Read;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::Settings;
use crate::model::CreateUser;
use crate::service::{accounts, AppState};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(name = "newsdesk", version, about = "A headless news content API")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database if needed, then serve REST and GraphQL.
    Serve {
        /// First fill an empty database with demo content and a demo admin.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Generate a reproducible synthetic corpus (for benchmarks).
    Seed(SeedArgs),
    /// Print the GraphQL SDL.
    Schema,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "editor", "author"])]
        role: String,
        /// Read the password from standard input (required: passwords never go in argv).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List every account: id, role, email, name and profile slug.
    List,
    /// Set an account's password (a lost one); the password is read from standard input.
    /// Every token of the account stops working.
    SetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go in argv).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// The environment variables and their defaults, for `--help`.
fn environment_help() -> String {
    let width = crate::config::ENVIRONMENT
        .iter()
        .map(|(name, _, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("Environment variables (default in brackets):\n");
    for (name, default, meaning) in crate::config::ENVIRONMENT {
        out.push_str(&format!("  {name:width$}  {meaning} [{default}]\n"));
    }
    out
}

/// The password given on standard input, without its line ending.
fn read_password() -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// How many articles.
    #[arg(long)]
    pub articles: u64,
    /// How many tags.
    #[arg(long, default_value_t = 50)]
    pub tags: u64,
    /// Comments per article.
    #[arg(long, default_value_t = 2)]
    pub comments_per_article: u64,
    /// Seed of the random generator: the same seed gives the same corpus.
    #[arg(long, default_value_t = 42)]
    pub rng_seed: u64,
}

/// Runs the command line; the exit code on failure is 1 with one clear line on stderr.
pub fn main() -> i32 {
    let matches = Cli::command()
        .after_long_help(environment_help())
        .after_help("Environment variables: see --help.")
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("newsdesk: {e}");
            return 1;
        }
    };
    crate::telemetry::init(&settings.log_filter, settings.log_format);
    crate::limits::bound_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("newsdesk: cannot start the runtime: {e}");
            return 1;
        }
    };
    let outcome = runtime.block_on(run(cli, settings));
    // Blocking work still running (a statement cut off at shutdown) is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            // One line, whatever the cause printed (libpq's messages span several).
            eprintln!(
                "newsdesk: {}",
                e.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            1
        }
    }
}

async fn run(cli: Cli, settings: Settings) -> Result<(), String> {
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let db =
                crate::db::Db::connect(&crate::db::DbOptions::primary(&settings.database_url, 1))?;
            let n = db.migrate()?;
            println!("applied {n} migration(s)");
            Ok(())
        }
        Command::Serve { demo } => {
            // The address first: a port in use stops start-up before any database is
            // created or migrated.
            let listener = crate::startup::listen(&settings.bind)?;
            let state = AppState::open(settings).await?;
            if demo {
                crate::demo::fill(&state).await?;
            }
            let app = Application::build_on(state.clone(), listener)?;
            let base = format!("http://{}", app.address());
            tracing::info!(
                database = %crate::db::redact(&state.settings.database_url),
                "newsdesk is serving {base}: REST {base}/api/v1, GraphQL {base}/graphql, \
                 API reference {base}/api/docs, OpenAPI {base}/api/v1/openapi.json"
            );
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Users {
            command: UsersCommand::List,
        } => {
            let state = AppState::open(settings).await?;
            let users = accounts::all_users(&state).await.map_err(describe)?;
            println!(
                "{:>6}  {:<6}  {:<32}  {:<24}  profile",
                "id", "role", "email", "name"
            );
            for u in users {
                println!(
                    "{:>6}  {:<6}  {:<32}  {:<24}  /api/v1/authors/{}",
                    u.id,
                    u.role.as_str(),
                    u.email,
                    u.name,
                    u.slug
                );
            }
            Ok(())
        }
        Command::Users {
            command:
                UsersCommand::SetPassword {
                    email,
                    password_stdin: _,
                },
        } => {
            let password = read_password()?;
            let state = AppState::open(settings).await?;
            let user = accounts::set_password(&state, &email, password)
                .await
                .map_err(describe)?;
            println!(
                "the password of {} (id {}) is set; its tokens no longer work",
                user.email, user.id
            );
            Ok(())
        }
        Command::Users {
            command:
                UsersCommand::Create {
                    email,
                    name,
                    role,
                    password_stdin: _,
                },
        } => {
            let password = read_password()?;
            let state = AppState::open(settings).await?;
            let user = accounts::create_user(
                &state,
                CreateUser {
                    email: Some(email),
                    name: Some(name),
                    role: Some(role),
                    password: Some(password),
                    bio: None,
                    avatar_url: None,
                },
            )
            .await
            .map_err(describe)?;
            println!(
                "created {} account {} (id {}, profile /api/v1/authors/{})",
                user.role.as_str(),
                user.email,
                user.id,
                user.slug
            );
            Ok(())
        }
        Command::Seed(args) => {
            let state = AppState::open_for_batch(settings).await?;
            crate::seed::run(&state, &args).await
        }
    }
}

/// An API error as one line for the terminal.
fn describe(e: crate::error::AppError) -> String {
    let p = e.problem();
    match p.errors {
        Some(fields) => fields
            .iter()
            .map(|(f, msgs)| format!("{f} {}", msgs.join("; ")))
            .collect::<Vec<_>>()
            .join(", "),
        None => p.detail,
    }
}
