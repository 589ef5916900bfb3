//! Collects every invalid field of a request so one 422 answer lists them all.

use api_types::FieldError;
use domain::ValidationError;

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// The value if valid; otherwise records the error under `field` and returns `None`.
    pub fn take<T>(&mut self, field: &str, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError { field: field.to_owned(), message: e.kind.to_string() });
                None
            }
        }
    }

    /// Like [`Checks::take`], keeping the field the error names (a nested path such as
    /// `payload.duration_ms`).
    pub fn take_as_named<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError { field: e.field, message: e.kind.to_string() });
                None
            }
        }
    }

    /// Like [`Checks::take`] for an optional input: absent stays `Some(None)`.
    pub fn take_opt<T>(
        &mut self,
        field: &str,
        input: Option<&str>,
        parse: impl Fn(&str) -> Result<T, ValidationError>,
    ) -> Option<Option<T>> {
        match input {
            None => Some(None),
            Some(v) => self.take(field, parse(v)).map(Some),
        }
    }

    /// Records a failed rule that is not a parse.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// 422 listing every recorded field; `field` is the first.
    pub fn error(self) -> ApiError {
        let detail = self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        let mut err = ApiError::new(ErrorCode::InvalidField, detail);
        err.field = self.errors.first().map(|e| e.field.clone());
        err.errors = self.errors;
        err
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.is_ok() { Ok(()) } else { Err(self.error()) }
    }
}
