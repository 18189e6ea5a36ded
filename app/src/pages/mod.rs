//! One module per route.

pub mod account;
pub mod alerts;
pub mod audit;
pub mod dashboard;
pub mod destinations;
pub mod device;
pub mod device_config;
pub mod device_form;
pub mod groups;
pub mod import;
pub mod inventory;
pub mod launch;
pub mod login;
pub mod monitor_form;
pub mod monitor_job;
pub mod monitoring;
pub mod not_found;
pub mod operation;
pub mod operations;
pub mod ops_common;
pub mod users;
