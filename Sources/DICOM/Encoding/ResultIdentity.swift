import CDcmtk

/// Series/instance identity and equipment (General Equipment) of one result object.
public struct ResultIdentity: Sendable, Equatable {
    public var seriesUID: String
    public var instanceUID: String
    public var seriesNumber: Int
    public var instanceNumber: Int
    /// Written as its first 64 characters (LO).
    public var seriesDescription: String
    public var manufacturer: String
    public var modelName: String
    public var softwareVersion: String
    public var deviceSerialNumber: String

    public init(seriesUID: String, instanceUID: String, seriesNumber: Int, instanceNumber: Int,
                seriesDescription: String, manufacturer: String, modelName: String, softwareVersion: String,
                deviceSerialNumber: String) {
        self.seriesUID = seriesUID
        self.instanceUID = instanceUID
        self.seriesNumber = seriesNumber
        self.instanceNumber = instanceNumber
        self.seriesDescription = seriesDescription
        self.manufacturer = manufacturer
        self.modelName = modelName
        self.softwareVersion = softwareVersion
        self.deviceSerialNumber = deviceSerialNumber
    }

    func c(_ strings: CStrings) -> dk_result_identity {
        dk_result_identity(series_instance_uid: strings(seriesUID), sop_instance_uid: strings(instanceUID),
                           series_number: Int32(clamping: seriesNumber), instance_number: Int32(clamping: instanceNumber),
                           series_description: strings(String(seriesDescription.prefix(64))),
                           manufacturer: strings(manufacturer), model_name: strings(modelName),
                           software_version: strings(softwareVersion), device_serial_number: strings(deviceSerialNumber))
    }
}
