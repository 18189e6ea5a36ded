//! NetLedger's business rules: aggregates, commands, events and value types.
//!
//! No IO lives here: the crate compiles for `wasm32-unknown-unknown` so the browser validates forms
//! with exactly the rules the server enforces.

/// Implements cqrs-es `Aggregate` for a type whose rules are the pure pair
/// `decide(&self, command) -> Result<Vec<Event>, Error>` and `evolve(&mut self, event)`: every
/// aggregate here keeps its rules there (testable without the framework), so the glue is one shape.
macro_rules! decider_aggregate {
    ($ty:ty, $name:literal, $command:ty, $event:ty, $error:ty) => {
        impl cqrs_es::Aggregate for $ty {
            const TYPE: &'static str = $name;
            type Command = $command;
            type Event = $event;
            type Error = $error;
            type Services = ();

            async fn handle(
                &mut self,
                command: Self::Command,
                _: &(),
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Self::Error> {
                for event in self.decide(command)? {
                    sink.write(event, self).await;
                }
                Ok(())
            }

            fn apply(&mut self, event: Self::Event) {
                self.evolve(event);
            }
        }
    };
}

pub mod archive;
pub mod config;
pub mod device;
pub mod identity;
pub mod metadata;
pub mod monitoring;
pub mod operation;
pub mod parse;
pub mod validation;

pub use validation::{FieldError, FieldErrors};
