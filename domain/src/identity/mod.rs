//! Users, roles and what each role may do.

mod role;
mod user;

pub use role::{Permission, Role};
pub use user::{check_password_policy, PasswordPolicyError, User, UserCommand, UserError, UserEvent, Username};
