"""Prerequisite checks for hosts and clusters: can Kata work here at all?"""
