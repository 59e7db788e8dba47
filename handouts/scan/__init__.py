"""Reading a returned log from a photo (the `scan` extra: OpenCV and zxing-cpp); never imports reportlab."""
