"""Printable labels: an item's S10 and a bag's id as Code 128 barcodes, as a page or a PDF."""
