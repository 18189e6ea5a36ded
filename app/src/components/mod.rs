//! Widgets shared by the pages.

pub mod alert;
pub mod badges;
pub mod breadcrumbs;
pub mod browser;
pub mod changes;
pub mod chart;
pub mod csv_input;
pub mod dialog;
pub mod field;
pub mod live;
pub mod notifications;
pub mod pagination;
pub mod query;
pub mod search;
pub mod shell;
pub mod time;
pub mod title;
pub mod toast;
pub mod user;
