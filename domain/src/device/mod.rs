//! Network devices: inventory attributes and lifecycle.

mod aggregate;
pub mod import;
mod values;

pub use aggregate::{Device, DeviceCommand, DeviceError, DeviceEvent, DeviceStatus, FieldChange};
pub use values::{DeviceDraft, DeviceSpec, GroupPath, Hostname, Location, MgmtAddress, Platform, Tag};
