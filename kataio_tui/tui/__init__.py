"""The Textual application: a thin shell over the headless core."""
