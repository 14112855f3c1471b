//! Form errors, shown next to each field and summarised at the top of the form.

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's `name` (and `id`), for the link from the summary.
    pub field: &'static str,
    /// What is wrong, in French.
    pub message: String,
}

/// The errors of a submitted form, in the order of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    items: Vec<FieldError>,
}

impl FormErrors {
    /// No errors yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error on `field` (the first one per field is kept).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.items.push(FieldError { field, message: message.into() });
        }
    }

    /// Records the error of a failed parse, if any, and returns the parsed value.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    /// The error on `field`.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.items.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// Whether the form is clean.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every error, in order.
    #[must_use]
    pub fn items(&self) -> &[FieldError] {
        &self.items
    }
}

/// Checks a person's name: required, at most 100 characters.
///
/// # Errors
/// The French message for the field.
pub fn person_name(value: &str, what: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(format!("Saisissez votre {what}."))
    } else if trimmed.chars().count() > 100 {
        Err(format!("Votre {what} doit contenir au plus 100 caractères."))
    } else if trimmed.chars().any(char::is_control) {
        Err(format!("Votre {what} contient des caractères non autorisés."))
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_error_per_field_in_order() {
        let mut errors = FormErrors::new();
        errors.add("email", "a");
        errors.add("password", "b");
        errors.add("email", "c");
        assert_eq!(errors.get("email"), Some("a"));
        assert_eq!(errors.items().len(), 2);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(person_name("  Marie ", "prénom"), Ok("Marie".to_owned()));
        assert!(person_name(" ", "prénom").unwrap_err().contains("prénom"));
        assert!(person_name(&"x".repeat(101), "nom").is_err());
    }
}
