//! One module per route.

pub mod account;
pub mod audit;
pub mod dashboard;
pub mod device;
pub mod device_form;
pub mod groups;
pub mod import;
pub mod inventory;
pub mod login;
pub mod not_found;
pub mod users;
