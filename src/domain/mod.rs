//! The real-world vocabulary: lifts and their codes, units, alarms, incidents and events.
//!
//! Pure types with `parse` constructors that refuse bad values with a reason. No I/O.

/// A registry or log id: a newtype over `i64` with the derives every id needs.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        // Ids come from the database's sequences, which start at 1.
        #[schema(minimum = 1)]
        pub struct $name(pub i64);
    };
}

pub mod alarm;
pub mod candidate;
pub mod chain;
pub mod event;
pub mod geo;
pub mod lift;
pub mod storm;
pub mod unit;

pub use alarm::{
    Alarm, AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, LiftRef, NewAlarm, TRAPPED_MAX,
};
pub use candidate::{Seen, SeenUnit};
pub use event::{
    Actor, CrewStatus, DeadlineKind, Equipment, Event, EventKind, IncidentId, IncidentStatus,
};
pub use geo::{CoordError, LatLon};
pub use lift::{
    AdminCode, CompanyId, DeviceId, IdError, Lift, LiftFlags, LiftId, PhoneNumber,
    RegistrationCode, RescueCode,
};
pub use unit::{Fix, Unit, UnitId, UnitKind, keep_newest};
