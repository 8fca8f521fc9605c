"""The operation kinds; see lifecycle.operations for the contract the Django side uses."""
