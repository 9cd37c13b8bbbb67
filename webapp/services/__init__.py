"""Write operations. They take the acting user and organization explicitly and flush, never commit."""
