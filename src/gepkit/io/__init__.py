"""Everything that touches files lives here: readers, alignment onto the grid, writers."""
