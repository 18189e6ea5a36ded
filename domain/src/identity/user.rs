//! The `User` aggregate. Password hashes are not events: they live in a separate table so a
//! dump of the event log holds no credential material. Events say *that* a password changed.

use std::fmt;

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::role::Role;

/// A sign-in name: lower case letters, digits, '.', '-', '_'; 2 to 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if !(2..=32).contains(&s.len()) {
            return Err("must be 2 to 32 characters".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
            return Err("may contain only letters, digits, '.', '-' and '_'".into());
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Username> for String {
    fn from(u: Username) -> Self {
        u.0
    }
}
impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("must be at least 12 characters")]
    TooShort,
    #[error("must be at most 256 characters")]
    TooLong,
    #[error("is too common; choose a less guessable password")]
    TooCommon,
    #[error("must not contain the user name")]
    ContainsUsername,
}

/// The rule every new password meets.
pub fn check_password_policy(username: &str, password: &str) -> Result<(), PasswordPolicyError> {
    const COMMON: [&str; 8] = [
        "password1234",
        "123456789012",
        "qwertyuiopas",
        "letmein12345",
        "administrator",
        "welcome12345",
        "changeme1234",
        "passw0rd1234",
    ];
    let n = password.chars().count();
    if n < 12 {
        return Err(PasswordPolicyError::TooShort);
    }
    if n > 256 {
        return Err(PasswordPolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    let first = password.chars().next();
    if COMMON.contains(&lower.as_str()) || password.chars().all(|c| Some(c) == first) {
        return Err(PasswordPolicyError::TooCommon);
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(PasswordPolicyError::ContainsUsername);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserCommand {
    /// `must_change_password` is set for invited users and the first admin.
    Create {
        username: Username,
        display_name: String,
        role: Role,
        must_change_password: bool,
    },
    ChangeRole {
        role: Role,
    },
    /// The hash is stored by the caller; the aggregate records the fact.
    RecordPasswordChange {
        must_change_password: bool,
        by_admin: bool,
    },
    RecordSignIn,
    RecordSignOut,
    Disable {
        reason: String,
    },
    Enable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    #[serde(rename = "UserCreated")]
    Created { username: Username, display_name: String, role: Role, must_change_password: bool },
    #[serde(rename = "UserRoleChanged")]
    RoleChanged { from: Role, to: Role },
    #[serde(rename = "UserPasswordChanged")]
    PasswordChanged { must_change_password: bool, by_admin: bool },
    #[serde(rename = "UserSignedIn")]
    SignedIn,
    #[serde(rename = "UserSignedOut")]
    SignedOut,
    #[serde(rename = "UserDisabled")]
    Disabled { reason: String },
    #[serde(rename = "UserEnabled")]
    Enabled,
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Created { .. } => "UserCreated",
            Self::RoleChanged { .. } => "UserRoleChanged",
            Self::PasswordChanged { .. } => "UserPasswordChanged",
            Self::SignedIn => "UserSignedIn",
            Self::SignedOut => "UserSignedOut",
            Self::Disabled { .. } => "UserDisabled",
            Self::Enabled => "UserEnabled",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("that user name is taken")]
    AlreadyExists,
    #[error("no such user")]
    NotFound,
    #[error("the account is disabled")]
    Disabled,
    #[error("display name must be at most 80 characters")]
    DisplayNameTooLong,
    #[error("a reason is required")]
    ReasonRequired,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: Option<Username>,
    pub role: Option<Role>,
    pub must_change_password: bool,
    pub disabled: bool,
}

impl User {
    pub fn decide(&self, cmd: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        use UserCommand as C;
        use UserEvent as E;
        let Some(role) = self.role else {
            return match cmd {
                C::Create { username, display_name, role, must_change_password } => {
                    if display_name.chars().count() > 80 {
                        return Err(UserError::DisplayNameTooLong);
                    }
                    Ok(vec![E::Created {
                        username,
                        display_name: display_name.trim().to_owned(),
                        role,
                        must_change_password,
                    }])
                }
                _ => Err(UserError::NotFound),
            };
        };
        Ok(match cmd {
            C::Create { .. } => return Err(UserError::AlreadyExists),
            C::ChangeRole { role: to } if to == role => vec![],
            C::ChangeRole { role: to } => vec![E::RoleChanged { from: role, to }],
            C::RecordPasswordChange { must_change_password, by_admin } => {
                vec![E::PasswordChanged { must_change_password, by_admin }]
            }
            C::RecordSignIn if self.disabled => return Err(UserError::Disabled),
            C::RecordSignIn => vec![E::SignedIn],
            C::RecordSignOut => vec![E::SignedOut],
            C::Disable { reason } if reason.trim().is_empty() => return Err(UserError::ReasonRequired),
            C::Disable { .. } if self.disabled => vec![],
            C::Disable { reason } => vec![E::Disabled { reason: reason.trim().to_owned() }],
            C::Enable if !self.disabled => vec![],
            C::Enable => vec![E::Enabled],
        })
    }

    pub fn evolve(&mut self, event: UserEvent) {
        match event {
            UserEvent::Created { username, role, must_change_password, .. } => {
                self.username = Some(username);
                self.role = Some(role);
                self.must_change_password = must_change_password;
            }
            UserEvent::RoleChanged { to, .. } => self.role = Some(to),
            UserEvent::PasswordChanged { must_change_password, .. } => self.must_change_password = must_change_password,
            UserEvent::SignedIn | UserEvent::SignedOut => {}
            UserEvent::Disabled { .. } => self.disabled = true,
            UserEvent::Enabled => self.disabled = false,
        }
    }
}

decider_aggregate!(User, "user", UserCommand, UserEvent, UserError);

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn created() -> UserEvent {
        UserEvent::Created {
            username: Username::parse("alice").unwrap(),
            display_name: "Alice".into(),
            role: Role::Engineer,
            must_change_password: true,
        }
    }

    #[test]
    fn a_user_name_is_taken_once() {
        TestFramework::<User>::with(())
            .given(vec![created()])
            .when(UserCommand::Create {
                username: Username::parse("Alice").unwrap(),
                display_name: String::new(),
                role: Role::Viewer,
                must_change_password: false,
            })
            .then_expect_error(UserError::AlreadyExists);
    }

    #[test]
    fn role_change_records_from_and_to_and_ignores_no_ops() {
        TestFramework::<User>::with(())
            .given(vec![created()])
            .when(UserCommand::ChangeRole { role: Role::Auditor })
            .then_expect_events(vec![UserEvent::RoleChanged { from: Role::Engineer, to: Role::Auditor }]);
        TestFramework::<User>::with(())
            .given(vec![created()])
            .when(UserCommand::ChangeRole { role: Role::Engineer })
            .then_expect_events(vec![]);
    }

    #[test]
    fn disabled_users_cannot_sign_in() {
        TestFramework::<User>::with(())
            .given(vec![created(), UserEvent::Disabled { reason: "left".into() }])
            .when(UserCommand::RecordSignIn)
            .then_expect_error(UserError::Disabled);
    }

    #[test]
    fn commands_on_unknown_users_are_refused() {
        TestFramework::<User>::with(())
            .given_no_previous_events()
            .when(UserCommand::RecordSignIn)
            .then_expect_error(UserError::NotFound);
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password_policy("bob", "short"), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_password_policy("bob", "Password1234"), Err(PasswordPolicyError::TooCommon));
        assert_eq!(check_password_policy("bob", "aaaaaaaaaaaaaa"), Err(PasswordPolicyError::TooCommon));
        assert_eq!(check_password_policy("bobby", "my-bobby-secret-1"), Err(PasswordPolicyError::ContainsUsername));
        assert!(check_password_policy("bob", "correct horse battery").is_ok());
    }

    #[test]
    fn user_names_are_normalised() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("al ice").is_err());
    }
}
