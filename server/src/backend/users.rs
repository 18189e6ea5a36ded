//! Identity use cases: accounts, passwords, sign-in and sessions.

use std::net::IpAddr;

use app::error::AppError;
use app::model::{CurrentUser, Invitation, UserRow};
use app::ssr::{require_role, CommandContext};
use cqrs_es::Aggregate;
use domain::identity::{check_password_policy, Permission, Role, User, UserCommand, UserError, Username};
use domain::metadata::{EventMetadata, Source};
use domain::FieldErrors;
use sqlx::Row;

use super::{from_aggregate, internal, metadata, AppState};
use crate::identity::{hash_password, new_session_token, random_password, token_hash, verify_password};

/// A successful sign-in: the cookie value and who it is.
pub struct SignIn {
    pub token: String,
    pub user: CurrentUser,
}

/// The first admin account, created once on an empty store.
pub struct BootstrapAdmin {
    pub username: String,
    pub password: String,
}

fn system(component: &str, source: Source, ip: Option<String>) -> EventMetadata {
    EventMetadata::new(format!("system:{component}"), source, uuid::Uuid::new_v4().to_string(), chrono::Utc::now())
        .with_ip(ip)
}

async fn execute(state: &AppState, username: &str, cmd: UserCommand, meta: EventMetadata) -> Result<(), AppError> {
    state
        .store
        .users
        .execute_with_metadata(username, cmd, meta.to_map())
        .await
        .map_err(|e| from_aggregate(e, |u| *u == UserError::NotFound))?;
    metrics::counter!("netledger_commands_total", "aggregate" => "user").increment(1);
    Ok(())
}

async fn store_password(state: &AppState, username: &str, password: &str) -> Result<(), AppError> {
    let hash = hash_password(password).map_err(internal)?;
    sqlx::query(
        "INSERT INTO user_passwords (username, hash) VALUES ($1, $2)
         ON CONFLICT (username) DO UPDATE SET hash = $2, updated_at = now()",
    )
    .bind(username)
    .bind(hash)
    .execute(&state.pool)
    .await
    .map_err(internal)?;
    Ok(())
}

fn row(r: &sqlx::postgres::PgRow) -> UserRow {
    UserRow {
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: r.get::<String, _>("role").parse().unwrap_or(Role::Viewer),
        must_change_password: r.get("must_change_password"),
        disabled: r.get("disabled"),
        created_at: r.get("created_at"),
        last_sign_in_at: r.get("last_sign_in_at"),
    }
}

pub async fn list(state: &AppState, user: &CurrentUser) -> Result<Vec<UserRow>, AppError> {
    require_role(user, Permission::ManageUsers)?;
    let rows = sqlx::query("SELECT * FROM users ORDER BY username").fetch_all(&state.pool).await.map_err(internal)?;
    Ok(rows.iter().map(row).collect())
}

pub async fn invite(
    state: &AppState,
    ctx: &CommandContext,
    username: &str,
    display_name: String,
    role: Role,
) -> Result<Invitation, AppError> {
    ctx.require(Permission::ManageUsers)?;
    let mut e = FieldErrors::default();
    let name = e.check("username", Username::parse(username));
    if display_name.chars().count() > 80 {
        e.push("display_name", "must be at most 80 characters");
    }
    let Some(name) = name.filter(|_| e.is_empty()) else { return Err(AppError::Invalid(e)) };
    let password = random_password();
    execute(
        state,
        name.as_str(),
        UserCommand::Create { username: name.clone(), display_name, role, must_change_password: true },
        metadata(ctx),
    )
    .await?;
    store_password(state, name.as_str(), &password).await?;
    state.settle(User::TYPE, name.as_str()).await;
    Ok(Invitation { username: name.to_string(), initial_password: password })
}

pub async fn change_role(state: &AppState, ctx: &CommandContext, username: &str, role: Role) -> Result<(), AppError> {
    ctx.require(Permission::ManageUsers)?;
    if username == ctx.user.username && role != Role::Admin {
        return Err(AppError::Rejected("you cannot remove your own admin role; ask another admin".into()));
    }
    execute(state, username, UserCommand::ChangeRole { role }, metadata(ctx)).await?;
    state.settle(User::TYPE, username).await;
    Ok(())
}

pub async fn change_own_password(
    state: &AppState,
    ctx: &CommandContext,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let username = ctx.user.username.as_str();
    let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM user_passwords WHERE username = $1")
        .bind(username)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?;
    let mut e = FieldErrors::default();
    if !hash.is_some_and(|h| verify_password(current, &h)) {
        e.push("current", "is not your current password");
    } else if current == new {
        e.push("new", "must differ from the current password");
    }
    if let Err(p) = check_password_policy(username, new) {
        e.push("new", p.to_string());
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e));
    }
    store_password(state, username, new).await?;
    execute(
        state,
        username,
        UserCommand::RecordPasswordChange { must_change_password: false, by_admin: false },
        metadata(ctx),
    )
    .await?;
    state.settle(User::TYPE, username).await;
    Ok(())
}

/// Checks credentials; on success records the sign-in and opens a session.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
    source: Source,
) -> Result<SignIn, AppError> {
    let name = username.trim().to_ascii_lowercase();
    if !state.throttle.allowed(&name, ip) {
        tracing::warn!(username = %name, ip = ?ip, "sign-in throttled");
        return Err(AppError::RateLimited);
    }
    let found = sqlx::query(
        "SELECT u.username, u.display_name, u.role, u.must_change_password, u.disabled, p.hash
           FROM users u JOIN user_passwords p USING (username) WHERE u.username = $1",
    )
    .bind(&name)
    .fetch_optional(&state.pool)
    .await
    .map_err(internal)?;
    let ok = match &found {
        Some(r) => verify_password(password, &r.get::<String, _>("hash")),
        None => {
            // Same work as a real check, so response time does not reveal which names exist.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2k0D4cL0pYdXs6Y8V7T1bPq4z3qGZ8hJm3lJc9o9kpQ",
            );
            false
        }
    };
    let Some(r) = found.filter(|_| ok) else {
        state.throttle.record_failure(&name, ip);
        metrics::counter!("netledger_sign_in_failures_total").increment(1);
        tracing::info!(username = %name, ip = ?ip, "sign-in failed");
        return Err(AppError::Unauthenticated);
    };
    if r.get::<bool, _>("disabled") {
        return Err(AppError::Rejected("this account is disabled".into()));
    }
    state.throttle.record_success(&name);
    let user = CurrentUser {
        username: name.clone(),
        display_name: r.get("display_name"),
        role: r.get::<String, _>("role").parse().unwrap_or(Role::Viewer),
        must_change_password: r.get("must_change_password"),
    };
    let (token, hash) = new_session_token();
    sqlx::query("INSERT INTO sessions (token_hash, username, expires_at, ip) VALUES ($1, $2, now() + make_interval(hours => $3), $4)")
        .bind(hash)
        .bind(&name)
        .bind(i32::try_from(state.settings.session_hours).unwrap_or(12))
        .bind(ip.map(|i| i.to_string()))
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    let meta = EventMetadata::new(name.clone(), source, uuid::Uuid::new_v4().to_string(), chrono::Utc::now())
        .with_ip(ip.map(|i| i.to_string()));
    execute(state, &name, UserCommand::RecordSignIn, meta).await?;
    Ok(SignIn { token, user })
}

pub async fn sign_out(state: &AppState, token: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
    let name: Option<String> = sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING username")
        .bind(token_hash(token))
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?;
    if let Some(name) = name {
        let meta = EventMetadata::new(name.clone(), Source::Ui, uuid::Uuid::new_v4().to_string(), chrono::Utc::now())
            .with_ip(ip.map(|i| i.to_string()));
        execute(state, &name, UserCommand::RecordSignOut, meta).await?;
    }
    Ok(())
}

/// The user behind a session cookie, if the session is valid and the account enabled.
pub async fn resolve_session(state: &AppState, token: &str) -> Result<Option<CurrentUser>, AppError> {
    let r = sqlx::query(
        "SELECT u.username, u.display_name, u.role, u.must_change_password
           FROM sessions s JOIN users u USING (username)
          WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
    )
    .bind(token_hash(token))
    .fetch_optional(&state.pool)
    .await
    .map_err(internal)?;
    Ok(r.map(|r| CurrentUser {
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: r.get::<String, _>("role").parse().unwrap_or(Role::Viewer),
        must_change_password: r.get("must_change_password"),
    }))
}

/// Creates `admin` with a random password on a store that has no users yet.
pub async fn bootstrap_admin(state: &AppState) -> Result<Option<BootstrapAdmin>, AppError> {
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = 'user')")
        .fetch_one(&state.pool)
        .await
        .map_err(internal)?;
    if any {
        return Ok(None);
    }
    let username = Username::parse("admin").map_err(internal)?;
    let password = random_password();
    execute(
        state,
        username.as_str(),
        UserCommand::Create {
            username: username.clone(),
            display_name: "Administrator".into(),
            role: Role::Admin,
            must_change_password: true,
        },
        system("bootstrap", Source::System, None),
    )
    .await?;
    store_password(state, username.as_str(), &password).await?;
    state.settle(User::TYPE, username.as_str()).await;
    Ok(Some(BootstrapAdmin { username: username.to_string(), password }))
}

/// Sets a user's password from the command line. A generated password must be changed at the
/// next sign-in; one given by a script is final. All sessions of the user are revoked.
pub async fn reset_password(state: &AppState, username: &str, password: Option<String>) -> Result<String, AppError> {
    let name = Username::parse(username).map_err(|e| AppError::Rejected(format!("user name {e}")))?;
    let (password, must_change) = match password {
        Some(p) => {
            check_password_policy(name.as_str(), &p).map_err(|e| AppError::Rejected(format!("password {e}")))?;
            (p, false)
        }
        None => (random_password(), true),
    };
    execute(
        state,
        name.as_str(),
        UserCommand::RecordPasswordChange { must_change_password: must_change, by_admin: true },
        system("cli", Source::Cli, None),
    )
    .await?;
    store_password(state, name.as_str(), &password).await?;
    sqlx::query("DELETE FROM sessions WHERE username = $1")
        .bind(name.as_str())
        .execute(&state.pool)
        .await
        .map_err(internal)?;
    Ok(password)
}
