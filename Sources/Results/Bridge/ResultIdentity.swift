import CDcmtk

/// Series/instance identity and equipment of one result object.
struct ResultIdentity {
    var seriesUID: String
    var instanceUID: String
    var seriesNumber: Int
    var instanceNumber: Int
    var seriesDescription: String
    var manufacturer: String
    var modelName: String
    var softwareVersion: String
    var deviceSerialNumber: String

    func c(_ strings: CStrings) -> dk_result_identity {
        dk_result_identity(series_instance_uid: strings(seriesUID), sop_instance_uid: strings(instanceUID),
                           series_number: Int32(clamping: seriesNumber), instance_number: Int32(clamping: instanceNumber),
                           series_description: strings(String(seriesDescription.prefix(64))),
                           manufacturer: strings(manufacturer), model_name: strings(modelName),
                           software_version: strings(softwareVersion), device_serial_number: strings(deviceSerialNumber))
    }
}

/// A decimal string (DS) of at most 16 characters: as many significant digits as fit.
func decimalString(_ x: Double) -> String {
    for precision in stride(from: 12, through: 4, by: -1) {
        var s = String(format: "%.\(precision)g", x)
        if s == "-0" { s = "0" }
        if s.count <= 16 { return s }
    }
    return String(format: "%.4g", x)
}
