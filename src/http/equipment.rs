//! The operator's list of faulty alarm equipment (supervision): IoT terminals offline,
//! cabin-phone alarm lines with no test call in time or garbled packets, faults a phone's own
//! test call reported. Equipment faults open no incident; this is where a person sees them.

use super::error::ApiError;
use crate::http::AppState;
use actix_web::{HttpResponse, web};

/// `GET /api/v1/equipment`: equipment with a fault, longest-standing first.
pub async fn faults(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.desk.equipment_faults().await?))
}
