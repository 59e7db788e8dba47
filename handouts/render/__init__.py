"""Drawing the page: layout, type, pictures, the booking QR and the log's small code, with reportlab."""
