package strategy

// OwnNames are ownNames, for the external tests.
var OwnNames = ownNames

// UnknownError is unknownError, for the external tests.
var UnknownError = unknownError
