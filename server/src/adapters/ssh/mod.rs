//! SSH transport to network devices (russh): platform drivers, limits, retries and host-key trust.
