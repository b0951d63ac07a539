"""The helpers that more than one page's snippets use, each written once; a page that explains one includes its
section from here. Standard library only."""
