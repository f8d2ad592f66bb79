"""reconcile: match bank statement lines to open Flowtly invoices, post the sure ones, report the rest."""

__version__ = "0.1.0"
