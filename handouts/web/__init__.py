"""The clinic's own web page (`handouts serve`): an optional extra, imported only by that command."""
