//! The statuses routes answer besides their success and the ones their shape implies (see
//! [`super`]'s module docs): one constant per reason, shared by every route that can give it.

/// A status a route can answer besides its success and the ones its shape implies (see the
/// route table's module docs), and when.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// When the route answers it, for the document.
    pub why: &'static str,
}

pub const fn answer(status: u16, why: &'static str) -> Answer {
    Answer { status, why }
}

/// 409 from the desk: the action does not follow from where the incident stands.
pub const OUT_OF_ORDER: Answer = answer(
    409,
    "The action does not follow from where the incident stands, or the incident has ended.",
);
/// 422 from the desk: a text it requires is blank.
pub const BLANK_TEXT: Answer = answer(422, "A required text is blank.");
/// 409 from the store: a uniqueness rule refused a registry write.
pub const CONFLICT: Answer = answer(
    409,
    "A uniqueness rule refused the write (a code or number another record already has).",
);
/// 422: two fields of a record contradict each other.
pub const CONFLICTING_FIELDS: Answer = answer(
    422,
    "Two fields contradict each other (a lift flagged as having no maintenance unit names one).",
);
/// 422: the lift reference parsed but names no registered lift.
pub const UNKNOWN_LIFT: Answer = answer(422, "No registered lift has that reference.");
/// 422: the unit named does not exist.
pub const UNKNOWN_UNIT: Answer = answer(422, "The unit named does not exist.");
/// 422: cabin-phone digits that do not decode.
pub const BAD_PACKET: Answer = answer(422, "The digits do not decode as a cabin-phone packet.");
/// 200 from the phone intake: a health report, nothing committed.
pub const TEST_CALL: Answer = answer(
    200,
    "A test call or a health report from the phone: taken, nothing committed.",
);
/// 429 from a signed machine source over its rate.
pub const RATE_LIMITED: Answer = answer(
    429,
    "The source sent more than its limit; retry after `Retry-After` seconds.",
);
/// 503: a signed sender's configuration is unusable (no secret, a code map that does not load).
pub const MISCONFIGURED: Answer = answer(503, "The sender's configuration is unusable.");
/// 404: no such signed sender is configured.
pub const UNKNOWN_SENDER: Answer = answer(404, "No such sender is configured.");
/// 404: Web Push is not configured.
pub const NO_PUSH: Answer = answer(404, "Push notifications are not configured.");
/// 404: no lift matches a lookup.
pub const NO_LIFT: Answer = answer(404, "No lift has that identifier.");
/// 404 from the desk: the crew's unit is no longer registered.
pub const UNIT_GONE: Answer = answer(404, "This crew's unit is no longer registered.");
/// 503 from readiness.
pub const NOT_READY: Answer = answer(503, "The store or the desk does not answer.");
/// 422: `quality.toml` in the rules folder has errors (every one in `error.errors`).
pub const BAD_QUALITY: Answer = answer(
    422,
    "`quality.toml` in the rules folder has errors (each with its file, line and key).",
);
