//! Error bodies in Zoho's own formats: CRM's `{"code","details","message","status":"error"}`
//! and Projects' legacy `{"error":{"code","message"}}`.
