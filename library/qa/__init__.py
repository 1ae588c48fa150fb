"""The high-frequency policy Q&A base for the 12345 hotline."""
