//! `users`: accounts as the admin page shows them.

use async_trait::async_trait;
use domain::identity::{User, UserEvent};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct UsersProjection;

#[async_trait]
impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&["user"])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        use cqrs_es::Aggregate;
        for e in events.iter().filter(|e| e.aggregate_type == User::TYPE) {
            let event: UserEvent = match e.payload_as() {
                Ok(ev) => ev,
                Err(err) => {
                    tracing::warn!(position = e.position, error = %err, "users projection skips unreadable event");
                    continue;
                }
            };
            let id = e.aggregate_id.as_str();
            let at = e.metadata.recorded_at;
            let q = match event {
                UserEvent::Created { display_name, role, must_change_password, .. } => sqlx::query(
                    "INSERT INTO users (username, display_name, role, must_change_password, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (username) DO UPDATE SET display_name = $2, role = $3, must_change_password = $4",
                )
                .bind(id)
                .bind(display_name)
                .bind(role.as_str())
                .bind(must_change_password)
                .bind(at),
                UserEvent::RoleChanged { to, .. } => {
                    sqlx::query("UPDATE users SET role = $2 WHERE username = $1").bind(id).bind(to.as_str())
                }
                UserEvent::PasswordChanged { must_change_password, .. } => {
                    sqlx::query("UPDATE users SET must_change_password = $2 WHERE username = $1")
                        .bind(id)
                        .bind(must_change_password)
                }
                UserEvent::SignedIn => {
                    sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE username = $1").bind(id).bind(at)
                }
                UserEvent::SignedOut => continue,
                UserEvent::Disabled { .. } => {
                    sqlx::query("UPDATE users SET disabled = true WHERE username = $1").bind(id)
                }
                UserEvent::Enabled => sqlx::query("UPDATE users SET disabled = false WHERE username = $1").bind(id),
            };
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
