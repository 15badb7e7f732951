package main

import "errors"

func runConformance(args []string) error { return errors.New("conformance: not built yet") }
func runRules(args []string) error       { return errors.New("rules: not built yet") }
