import DoctorHost
